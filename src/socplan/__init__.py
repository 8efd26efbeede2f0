"""socplan: monitor the delivery of a strategy's recommendations."""

__version__ = "0.1.0"
