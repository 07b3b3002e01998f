"""Try it tab: trained runs judge sentences and files, say why, and export."""
