"""Policy as code: loads Cedar policy packs and returns decisions that cite the memo."""
