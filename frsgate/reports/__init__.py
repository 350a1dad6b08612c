"""Reports for supervisors, OPR and IGP, report-of-investigation entries and disclosures."""
