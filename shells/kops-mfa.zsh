# kops-mfa shell integration for zsh. In ~/.zshrc, after compinit:
#
#   eval "$(kops-mfa init zsh)"
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
# Every function starts with `emulate -L zsh`: the user's options (nounset,
# ksh_arrays, sh_word_split, err_exit…) do not reach its body, and are back
# when it returns. The statements kops-mfa prints (`export NAME='v'`,
# `unset NAME`) act on the global parameters from inside a function too.
# The code outside functions runs in an anonymous function for the same
# reason. Under `setopt err_exit` a failing kops-login ends the shell like any
# failing command; write `kops-login || …` there.
#
# The user functions and _kops_mfa_apply are plain bash-compatible code (but
# for emulate), so the test suite lints them with shellcheck as bash
# (shellcheck has no zsh mode).

# Run `kops-mfa <command> --shell zsh [options]`; evaluate its output only
# when it exited 0, else return its status and change nothing.
function _kops_mfa_apply {
  emulate -L zsh
  local _kops_mfa_cmd=$1 _kops_mfa_out='' _kops_mfa_rc=0
  shift
  _kops_mfa_out=$(command kops-mfa "${_kops_mfa_cmd}" --shell zsh "$@") || _kops_mfa_rc=$?
  if [[ "${_kops_mfa_rc}" -ne 0 ]]; then
    return "${_kops_mfa_rc}"
  fi
  eval "${_kops_mfa_out}"
}

function kops-login {
  _kops_mfa_apply env "$@"
}

function kops-logout {
  _kops_mfa_apply logout "$@"
}

# Profile names from the AWS config and credentials files, for completion.
function _kops_mfa_profiles {
  emulate -L zsh
  local -a profiles match mbegin mend
  local file line
  if [[ -r ${AWS_CONFIG_FILE:-$HOME/.aws/config} ]]; then
    for line in "${(@f)"$(<${AWS_CONFIG_FILE:-$HOME/.aws/config})"}"; do
      # "[profile x]" and "[default]"; not "[sso-session x]" or "[services x]"
      if [[ $line =~ '^[[:space:]]*\[[[:space:]]*(profile[[:space:]]+)?([^]]*[^][:space:]])[[:space:]]*\]' ]] &&
        [[ -n $match[1] || $match[2] == default ]]; then
        profiles+=("$match[2]")
      fi
    done
  fi
  if [[ -r ${AWS_SHARED_CREDENTIALS_FILE:-$HOME/.aws/credentials} ]]; then
    for line in "${(@f)"$(<${AWS_SHARED_CREDENTIALS_FILE:-$HOME/.aws/credentials})"}"; do
      if [[ $line =~ '^[[:space:]]*\[[[:space:]]*([^]]*[^][:space:]])[[:space:]]*\]' ]]; then
        profiles+=("$match[1]")
      fi
    done
  fi
  _describe -t profiles 'AWS profile' profiles
}

function _kops_mfa_login {
  emulate -L zsh
  _arguments -s \
    '--profile=[AWS profile]:profile:_kops_mfa_profiles' \
    '--role-arn=[role to assume]:role ARN: ' \
    '--serial-number=[MFA device ARN]:MFA device ARN: ' \
    '--token-code=[MFA code]:code: ' \
    '--duration-seconds=[session length, 900-43200]:seconds: ' \
    '--role-session-name=[session name]:name: ' \
    '--external-id=[external ID for the role]:external ID: ' \
    '--region=[region to export and call STS in]:region: ' \
    '--min-remaining=[reuse a cached session only with more minutes left]:minutes: ' \
    '--refresh[ask for a new code even if a cached session is valid]' \
    '--no-cache[neither read nor write the session cache]' \
    '(-q --quiet)'{-q,--quiet}'[no note on stderr about the session]' \
    '--debug[explain what kops-mfa does on stderr]'
}

function _kops_mfa_logout {
  emulate -L zsh
  _arguments -s \
    '--profile=[forget the sessions of this profile]:profile:_kops_mfa_profiles' \
    '--all[forget every cached session]' \
    '--debug[explain what kops-mfa does on stderr]'
}

() {
  emulate -L zsh

  if (( $+functions[compdef] )); then
    compdef _kops_mfa_login kops-login
    compdef _kops_mfa_logout kops-logout
  fi

  if [[ ${KOPS_MFA_AUTO_REFRESH-} == 1 ]]; then
    # Always kops-login rather than comparing AWS_CREDENTIAL_EXPIRATION with
    # the clock here: ISO-date arithmetic is not portable across GNU and BSD
    # date, and a kops-login that reuses the cached session (more than 5
    # minutes left) costs one node start-up and asks nothing; it prompts only
    # when the session has really ended.
    function kops {
      emulate -L zsh
      kops-login --quiet || return
      command kops "$@"
    }
  fi
}
