"""The bank side of money: ACH entries the line originates, NACHA files, returns, settlement."""
