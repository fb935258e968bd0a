"""constructs_br: AWS CDK constructs for container fleets on Bottlerocket."""

from constructs_br.errors import ConfigError, Problem

__all__ = ["ConfigError", "Problem"]
__version__ = "0.1.0"
