/* The shipped profiles, embedded so that the binary works with nothing installed. */
	.section .rodata
	.global cis_builtin_untrusted
cis_builtin_untrusted:
	.incbin "untrusted.json"
	.byte 0
	.global cis_builtin_trusted
cis_builtin_trusted:
	.incbin "trusted.json"
	.byte 0
	.global cis_builtin_gitlab
cis_builtin_gitlab:
	.incbin "gitlab.json"
	.byte 0
	.global cis_builtin_github
cis_builtin_github:
	.incbin "github.json"
	.byte 0
	.global cis_builtin_forgejo
cis_builtin_forgejo:
	.incbin "forgejo.json"
	.byte 0
	.global cis_builtin_runner
cis_builtin_runner:
	.incbin "runner.json"
	.byte 0
	.global cis_builtin_github_hook
cis_builtin_github_hook:
	.incbin "github-hook.json"
	.byte 0
	.global cis_builtin_forgejo_runner
cis_builtin_forgejo_runner:
	.incbin "forgejo-runner.json"
	.byte 0
	.section .note.GNU-stack,"",@progbits
