# kops-mfa shell integration for fish. In ~/.config/fish/config.fish:
#
#   kops-mfa init fish | source
#
# kops-login [options]   log in with MFA; sets the AWS_* session in this shell
# kops-logout [options]  forget the session; gives AWS_PROFILE back
# kops [args]            only with KOPS_MFA_AUTO_REFRESH=1 when this is loaded:
#                        kops-login, then the real kops
#
# kops-mfa prints statements only when everything succeeded; these functions
# evaluate them only when kops-mfa exited 0, so a failure (wrong code, Ctrl-C
# at the prompt = 130, no network) changes nothing and returns kops-mfa's
# status. The MFA prompt is on the terminal, not stdout, so capturing is safe.
#
# `set -l out (cmd)` leaves cmd's exit status in $status. The substitution
# splits the output at newlines (empty lines included), and `string join`
# puts it back together, so a value that holds a newline survives. The
# statements (`set -gx`, `set -e -g`) act on globals from inside a function.

# Run `kops-mfa <command> --shell fish [options]`; source its output only
# when it exited 0, else return its status and change nothing.
function __kops_mfa_apply --description 'Run kops-mfa and apply its statements'
    set -l kops_mfa_out (command kops-mfa $argv[1] --shell fish $argv[2..])
    set -l kops_mfa_rc $status
    if test $kops_mfa_rc -ne 0
        return $kops_mfa_rc
    end
    string join \n -- $kops_mfa_out | source
end

function kops-login --description 'Log in with MFA and set the AWS session in this shell'
    __kops_mfa_apply env $argv
end

function kops-logout --description 'Forget the MFA session and clear it from this shell'
    __kops_mfa_apply logout $argv
end

function __kops_mfa_profiles --description 'AWS profile names, for completion'
    set -l config ~/.aws/config
    test -n "$AWS_CONFIG_FILE"; and set config $AWS_CONFIG_FILE
    set -l credentials ~/.aws/credentials
    test -n "$AWS_SHARED_CREDENTIALS_FILE"; and set credentials $AWS_SHARED_CREDENTIALS_FILE
    # "[profile x]" and "[default]" in config, "[x]" in credentials
    test -r $config
    and string replace -rf '^\s*\[\s*(?:profile\s+([^\]]*?)|(default))\s*\].*' '$1$2' <$config
    test -r $credentials
    and string replace -rf '^\s*\[\s*([^\]]*?)\s*\].*' '$1' <$credentials
    return 0
end

complete -c kops-login -f
complete -c kops-login -l profile -x -a '(__kops_mfa_profiles)' -d 'AWS profile'
complete -c kops-login -l role-arn -x -d 'Role to assume'
complete -c kops-login -l serial-number -x -d 'MFA device ARN'
complete -c kops-login -l token-code -x -d 'The MFA code'
complete -c kops-login -l duration-seconds -x -d 'Session length, 900-43200'
complete -c kops-login -l role-session-name -x -d 'Session name'
complete -c kops-login -l external-id -x -d 'External ID for the role'
complete -c kops-login -l region -x -d 'Region to export and call STS in'
complete -c kops-login -l min-remaining -x -d 'Reuse a cached session only with more minutes left'
complete -c kops-login -l refresh -d 'Ask for a new code even if a cached session is valid'
complete -c kops-login -l no-cache -d 'Neither read nor write the session cache'
complete -c kops-login -s q -l quiet -d 'No note on stderr about the session'
complete -c kops-login -l debug -d 'Explain what kops-mfa does on stderr'

complete -c kops-logout -f
complete -c kops-logout -l profile -x -a '(__kops_mfa_profiles)' -d 'Forget the sessions of this profile'
complete -c kops-logout -l all -d 'Forget every cached session'
complete -c kops-logout -l debug -d 'Explain what kops-mfa does on stderr'

if test "$KOPS_MFA_AUTO_REFRESH" = 1
    # Always kops-login rather than comparing AWS_CREDENTIAL_EXPIRATION with
    # the clock here: ISO-date arithmetic is not portable across GNU and BSD
    # date, and a kops-login that reuses the cached session (more than 5
    # minutes left) costs one node start-up and asks nothing; it prompts only
    # when the session has really ended.
    function kops --description 'kops-login, then kops'
        kops-login --quiet
        or return
        command kops $argv
    end
end
