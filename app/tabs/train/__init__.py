"""Train tab: model, dataset, method and settings, then Check, Start and Stop."""
