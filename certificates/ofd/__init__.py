"""The certificate as an OFD document (GB/T 33190) sealed with SM2/SM3 (after GB/T 38540)."""
