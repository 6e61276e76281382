"""llmkg: curated records about large language models as a scholarly knowledge graph."""

__version__ = "0.1.0"
