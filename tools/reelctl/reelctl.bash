# bash completion for reelctl.  The candidates come from reelctl itself
# ("reelctl __complete WORD..."), so they follow its command table.
_reelctl()
{
	local cur=${COMP_WORDS[COMP_CWORD]} out
	local IFS=$'\n'

	out=$("${COMP_WORDS[0]}" __complete "${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null) || return
	if [[ $out == __file__ ]]; then
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -f -- "$cur"))
	else
		COMPREPLY=($(compgen -W "$out" -- "$cur"))
	fi
}
complete -F _reelctl reelctl
