"""What this estate is (catalog), how a stack is configured (settings) and how the two become components (program)."""
