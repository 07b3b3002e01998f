"""Looking at trained adapters: prediction, explanations, prompt words and comparison."""
