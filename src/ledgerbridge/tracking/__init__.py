"""Tracking categories and options (TRK): the setting, placeholders, and the options chosen on
product groups, products and invoice lines. Categories mirror an accounting organisation's own
(imported by an integration); the product refers to them by placeholder."""
