"""Data hub (数据中枢): catalog, one data one source, versioned ingestion, quality, sharing."""
