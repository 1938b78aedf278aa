"""Transformation assessment: the BTE model, eight elements, barrel effect, 1+N roadmap, 4A.

The pure engine (framework, weights, engine, robustness, barrel, roadmap, topsis, inputs,
report) has no database dependency; ``service`` is the only door for other domains.
"""
