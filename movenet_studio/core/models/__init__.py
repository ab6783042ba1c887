"""Model files: the catalog, resolving a name or file, what a file declares, probing untrusted files."""
