"""The procedure catalogue: departments keep their list and flag what can go by post."""
