"""PTune Studio engine: parameter-efficient fine-tuning of encoder classifiers."""
