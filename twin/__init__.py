"""Smart water network digital twin: hydraulic model, meter feeds, leak detection and water loss."""

__version__ = "0.1.0"
