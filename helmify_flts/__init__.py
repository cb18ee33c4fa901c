"""helmify-flts: turn a folder of Kubernetes manifests into a Helm chart that renders them back exactly."""

from . import precompiled

__version__ = "0.1.0"

# Before any other module of the package or its libraries is imported: they compile their
# patterns as they load (precompiled.py says why and when this does nothing).
precompiled.install()
