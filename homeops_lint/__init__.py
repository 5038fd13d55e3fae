"""homeops-lint: a policy-as-code linter for GitOps home-ops Kubernetes repositories."""

__version__ = "0.2.0"
