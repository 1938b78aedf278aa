"""Data protection: PII detection, classification and grading (分类分级), de-identification.

Detection (``detect_columns``, ``detect_text``) decides which columns and which spans of text
carry personal information; ``policy`` turns a PII type into a grade under GB/T 43697-2024 and
marks sensitive personal information per GB/T 35273. Pure computation: no database, no I/O
beyond the files a caller names.
"""
