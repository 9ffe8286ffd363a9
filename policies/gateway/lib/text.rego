package gateway.lib

# METADATA
# title: A non-blank string
filled(s) if {
	is_string(s)
	trim_space(s) != ""
}

# METADATA
# title: Upper-case letters, digits and single spaces only
# description: >-
#   Drops punctuation (straight and curly apostrophes, slashes, dots), so that
#   "Don't Care", "DONT CARE" and "don’t care." compare equal. Each run of
#   other characters, spaces included, becomes one space, so no second pass
#   is needed to collapse spaces.
squash(s) := trim_space(regex.replace(upper(s), `[^A-Z0-9]+`, " "))

# METADATA
# title: Like squash, with digits dropped too
# description: Lets "Don't Care 12345" match the placeholder "DON'T CARE".
squash_letters(s) := trim_space(regex.replace(upper(s), `[^A-Z]+`, " "))

# METADATA
# title: Normalised text of every non-blank specific reason that occurs more than once
# description: >-
#   Sort-based (n log n), so that batches of tens of thousands stay cheap.
#   Texts are compared after squash(), so case, spacing and punctuation do not
#   make boilerplate look individual. squash and filled are written out in
#   the comprehension: a function call per taxpayer cost more than the regex.
repeated_reasons := {r |
	sorted := sort([trim_space(regex.replace(upper(reason), `[^A-Z0-9]+`, " ")) |
		some t in taxpayers
		reason := t.specific_reason
		is_string(reason)
		trim_space(reason) != ""
	])
	some k, r in sorted
	k > 0
	r == sorted[k - 1]
}

# METADATA
# title: Every taxpayer has a reason of its own
# description: No reason is blank and no reason text is shared by two taxpayers.
reasons_individualized if {
	every t in taxpayers {
		is_string(t.specific_reason)
		trim_space(t.specific_reason) != ""
	}
	count(repeated_reasons) == 0
}

# METADATA
# title: The reason of this taxpayer is boilerplate shared with another one
boilerplate_reason(t) if {
	count(repeated_reasons) > 0
	squash(t.specific_reason) in repeated_reasons
}

# METADATA
# title: The reference of a taxpayer entry (null unless a string)
ref_of(t) := t.ref if {
	is_string(t.ref)
} else := null
