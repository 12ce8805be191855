//! Display forms of firewall objects, as the seed document\x27s tables print them.
