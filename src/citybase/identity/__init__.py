"""Identity: departments, users, roles, browser sessions and API tokens."""
