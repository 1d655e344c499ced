"""The AWS CDK app of Follow-Swarm: one stack per concern, built from settings and catalog."""
