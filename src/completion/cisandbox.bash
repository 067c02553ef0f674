# bash completion for cisandbox(1): subcommands, flags, profile names (built-in and those on the
# search path), and the values of flags that take one of a few words.
# Installed as $(PREFIX)/share/bash-completion/completions/cisandbox.
# shellcheck disable=SC2207 # COMPREPLY=($(compgen ...)): words without blanks, as bash-completion

_cisandbox_profiles()
{
	local d f names="untrusted trusted gitlab github github-hook forgejo forgejo-runner runner"
	local IFS=:
	for d in ${CISANDBOX_PROFILE_PATH-} /etc/cisandbox/profiles /usr/local/share/cisandbox/profiles \
		/usr/share/cisandbox/profiles; do
		for f in "$d"/*.json; do
			[ -e "$f" ] || continue
			f=${f##*/}
			names="$names ${f%.json}"
		done
	done
	# shellcheck disable=SC2086 # one word per name
	printf '%s\n' $names | LC_ALL=C sort -u
}

_cisandbox()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} cmd=${COMP_WORDS[1]-}
	local run_flags="--profile --workspace --workspace-mode --workspace-size --ro-bind --bind
		--tmpfs --mask --env --timeout --kill-grace --memory --pids --cpus --nofile --fsize
		--audit-log --net --allow --dns-upstream --chdir --secret --secret-env --dry-run
		--policy-exec --policy-input --learn --verbose --help"
	local i
	COMPREPLY=()

	if [ "$COMP_CWORD" -eq 1 ]; then
		COMPREPLY=($(compgen -W "run doctor profile report version gitlab github --help" \
			-- "$cur"))
		return
	fi
	case $cmd in
	run)
		# After the command (a word that is no flag nor a flag's value), nothing is ours.
		for ((i = 2; i < COMP_CWORD; i++)); do
			[ "${COMP_WORDS[i]}" = -- ] && { COMPREPLY=($(compgen -c -- "$cur")); return; }
		done
		case $prev in
		-p | --profile) COMPREPLY=($(compgen -W "$(_cisandbox_profiles)" -- "$cur")); return ;;
		--workspace-mode) COMPREPLY=($(compgen -W "overlay tmpfs bind" -- "$cur")); return ;;
		--net) COMPREPLY=($(compgen -W "none allowlist open audit" -- "$cur")); return ;;
		--audit-log) COMPREPLY=($(compgen -f -W "journal" -- "$cur")); return ;;
		-w | --workspace | --chdir) COMPREPLY=($(compgen -d -- "$cur")); return ;;
		--ro-bind | --bind | --tmpfs | --mask | --learn) COMPREPLY=($(compgen -f -- "$cur")); return ;;
		--policy-exec) COMPREPLY=($(compgen -c -- "$cur")); return ;;
		esac
		COMPREPLY=($(compgen -W "$run_flags" -- "$cur"))
		;;
	doctor)
		case $prev in
		-p | --profile) COMPREPLY=($(compgen -W "$(_cisandbox_profiles)" -- "$cur")); return ;;
		esac
		COMPREPLY=($(compgen -W "--json --profile" -- "$cur"))
		;;
	profile)
		if [ "$COMP_CWORD" -eq 2 ]; then
			COMPREPLY=($(compgen -W "check show score" -- "$cur"))
		elif [ "$prev" = show ] || { [ "$prev" = score ] && [ "$COMP_CWORD" -eq 3 ]; }; then
			COMPREPLY=($(compgen -f -W "$(_cisandbox_profiles)" -- "$cur"))
		elif [ "${COMP_WORDS[2]}" = score ] && [ "$prev" != --threshold ]; then
			COMPREPLY=($(compgen -f -W "--threshold --json" -- "$cur"))
		elif [ "$prev" != --threshold ]; then
			COMPREPLY=($(compgen -f -- "$cur"))
		fi
		;;
	report)
		if [ "$prev" = --format ]; then
			COMPREPLY=($(compgen -W "text github" -- "$cur"))
		else
			COMPREPLY=($(compgen -f -W "--format" -- "$cur"))
		fi
		;;
	gitlab) [ "$COMP_CWORD" -eq 2 ] && COMPREPLY=($(compgen -W "config prepare run cleanup" -- "$cur")) ;;
	github) [ "$COMP_CWORD" -eq 2 ] && COMPREPLY=($(compgen -W "job-started job-completed hook" -- "$cur")) ;;
	esac
}
complete -F _cisandbox cisandbox
