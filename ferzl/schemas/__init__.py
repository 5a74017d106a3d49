"""XSDs of the HL7 v2.6 XML files exchanged with the central segment (package data)."""
