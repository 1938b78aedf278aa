"""一屏总览 — the whole city on one screen: the operations centre's live dashboard.

Widgets come from every domain through the ``citybase_dashboard_widgets`` hook; layouts are
YAML data; updates arrive over the platform's event stream. See docs/dashboard.md.
"""
