#!/usr/bin/env bats
# Label selectors: the parser and matcher the local provider uses, with
# Hetzner's grammar (DESIGN section 8).
bats_require_minimum_version 1.5.0

setup() { load 'test_helper/common'; pp_isolate; }

@test "selectors match labels as the Hetzner API does" {
	local row sel labels want
	# selector | labels | true/false
	while IFS='|' read -r sel labels want; do
		# shellcheck disable=SC2086
		run --separate-stderr "$BUILD/unit/cloudctl" match "$sel" $labels
		[[ $output == "$want" ]] ||
			fail "'$sel' on '$labels': got '$output', want '$want'"
	done <<'ROWS'
managed_by=ppscale|managed_by=ppscale role=spare|true
managed_by=ppscale|managed_by=other|false
managed_by==ppscale|managed_by=ppscale|true
managed_by!=ppscale|managed_by=other|true
managed_by!=ppscale||true
managed_by!=ppscale|managed_by=ppscale|false
managed_by|managed_by=x|true
managed_by||false
!managed_by||true
!managed_by|managed_by=x|false
role in (spare,worker)|role=spare|true
role in (spare, worker)|role=worker|true
role in (spare,worker)|role=db|false
role in (spare,worker)||false
role notin (spare,worker)|role=db|true
role notin (spare,worker)||true
role notin (spare,worker)|role=spare|false
managed_by=ppscale,role=spare|managed_by=ppscale role=spare|true
managed_by=ppscale,role=spare|managed_by=ppscale role=worker|false
managed_by=ppscale,role in (a,b),!gone|managed_by=ppscale role=b|true
example.com/pool=eu|example.com/pool=eu|true
|anything=1|true
ROWS
}

@test "refuses malformed selectors and names the bad part" {
	local sel
	for sel in 'a=b,' 'role in (a,b' '-bad=x' 'k=-v' 'k in a,b' 'k=!v' \
		'Upper.Case/k=v'; do
		run --separate-stderr "$BUILD/unit/cloudctl" match "$sel"
		assert_failure 2
		assert_output --partial "invalid label selector"
	done
}
