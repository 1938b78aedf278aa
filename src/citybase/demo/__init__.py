"""The demo city 示范市: a deterministic synthetic city every domain adds its share to."""
