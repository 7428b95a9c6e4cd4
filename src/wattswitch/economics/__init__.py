"""Pure economic functions: hashprice, revenue per MWh of each use, contracts, capex, valuation."""
