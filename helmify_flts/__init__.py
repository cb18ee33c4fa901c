"""helmify-flts: turn a folder of Kubernetes manifests into a Helm chart that renders them back exactly."""

__version__ = "0.1.0"
