"""A product's recipe: the TOML file an engineer writes for one product, validated as a whole
(schema, chemistry and cross-checks), its content hash, and what it writes into each pack.
"""
