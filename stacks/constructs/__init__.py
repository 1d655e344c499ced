"""Reusable constructs of the Follow-Swarm stacks."""
