"""Web: templating, i18n, the shared pages (login, home, errors) and the health endpoint."""
