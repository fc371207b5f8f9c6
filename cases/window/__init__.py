"""The comprehensive window's pages (/window/) for clerks and village agents."""
