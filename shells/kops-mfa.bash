# shellcheck shell=bash
# kops-mfa shell integration for bash (3.2 and later). In ~/.bashrc:
#
#   eval "$(kops-mfa init bash)"
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
# The statements are `export NAME='v'` and `unset NAME`, which act on the
# global variables from inside a function too.
#
# `set -e` in the calling shell: a failing kops-login returns non-zero like
# any failing command, so a bare `kops-login` then ends a `set -e` script or
# shell; write `kops-login || …` or `if kops-login; then …` there. Nothing in
# the functions themselves trips `set -e`, `set -u` or `pipefail`.
#
# Written for bash 3.2 (macOS): no associative arrays, no ${v,,}, no mapfile.
# `function name` (not `name()`) keeps an alias of the same name from being
# expanded while the function is defined. Hyphenated names need bash's
# default (non-POSIX) mode.

# Run `kops-mfa <command> --shell bash [options]`; evaluate its output only
# when it exited 0, else return its status and change nothing.
function _kops_mfa_apply {
  local _kops_mfa_cmd=$1 _kops_mfa_out='' _kops_mfa_rc=0
  shift
  _kops_mfa_out=$(command kops-mfa "${_kops_mfa_cmd}" --shell bash "$@") || _kops_mfa_rc=$?
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

# Profile names from the AWS config and credentials files, one per line.
function _kops_mfa_profiles {
  local _kops_mfa_file='' _kops_mfa_line='' _kops_mfa_kind=''
  for _kops_mfa_kind in config credentials; do
    if [[ "${_kops_mfa_kind}" = config ]]; then
      _kops_mfa_file=${AWS_CONFIG_FILE:-${HOME-}/.aws/config}
    else
      _kops_mfa_file=${AWS_SHARED_CREDENTIALS_FILE:-${HOME-}/.aws/credentials}
    fi
    [[ -r "${_kops_mfa_file}" ]] || continue
    while IFS= read -r _kops_mfa_line || [[ -n "${_kops_mfa_line}" ]]; do
      # "[profile x]" and "[default]" in config, "[x]" in credentials.
      case ${_kops_mfa_line} in
        \[*\]*) ;;
        *) continue ;;
      esac
      _kops_mfa_line=${_kops_mfa_line#\[}
      _kops_mfa_line=${_kops_mfa_line%%\]*}
      if [[ "${_kops_mfa_kind}" = config ]]; then
        case ${_kops_mfa_line} in
          default) ;;
          'profile '*) _kops_mfa_line=${_kops_mfa_line#profile } ;;
          *) continue ;; # [sso-session x], [services x]
        esac
      fi
      printf '%s\n' "${_kops_mfa_line}"
    done <"${_kops_mfa_file}"
  done
}

# Completion for kops-login and kops-logout: bash passes the command name, the
# word being completed and the word before it as $1, $2 and $3.
function _kops_mfa_complete {
  local _kops_mfa_words='' _kops_mfa_word=''
  COMPREPLY=()
  case ${3-} in
    --profile) _kops_mfa_words=$(_kops_mfa_profiles) ;;
    --role-arn | --serial-number | --token-code | --duration-seconds | \
      --role-session-name | --external-id | --region | --min-remaining)
      return 0 ;;
    *)
      if [[ "${1-}" = kops-logout ]]; then
        _kops_mfa_words='--profile
--all
--debug'
      else
        _kops_mfa_words='--profile
--role-arn
--serial-number
--token-code
--duration-seconds
--role-session-name
--external-id
--region
--min-remaining
--refresh
--no-cache
--quiet
--debug'
      fi
      ;;
  esac
  # Words are one a line (a profile name may hold a space); keep those that
  # start with the word being completed.
  while IFS= read -r _kops_mfa_word; do
    case ${_kops_mfa_word} in
      '') ;;
      "${2-}"*) COMPREPLY+=("${_kops_mfa_word}") ;;
      *) ;;
    esac
  done <<<"${_kops_mfa_words}"
  return 0
}

if command -v complete >/dev/null 2>&1; then
  complete -F _kops_mfa_complete kops-login kops-logout
fi

if [[ "${KOPS_MFA_AUTO_REFRESH-}" = 1 ]]; then
  # Always kops-login rather than comparing AWS_CREDENTIAL_EXPIRATION with the
  # clock here: ISO-date arithmetic is not portable across GNU and BSD date,
  # and a kops-login that reuses the cached session (more than 5 minutes left)
  # costs one node start-up and asks nothing; it prompts only when the session
  # has really ended.
  function kops {
    # --quiet: no "reusing the cached session" note before every kops run.
    kops-login --quiet || return
    command kops "$@"
  }
fi
