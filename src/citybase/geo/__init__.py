"""City geography: districts (区) → streets (街道) → grids (网格), and the grid workers (网格员).

Other domains reach it only through ``citybase.geo.service`` (``locate``, ``get_area`` …).
"""
