# shellcheck shell=bash
# kops-mfa shell integration for bash 3.2 and later. In ~/.bashrc:
#
#   eval "$(kops-mfa init bash)"
#
# kops-login, kops-logout, kops_mfa_prompt, completion; with
# KOPS_MFA_AUTO_REFRESH=1 or prompt, the kops wrapper and the prompt hook.
# What each does and why it is written so: docs/shells.md.

# Run kops-mfa: the node and script of the kops-mfa that printed this text
# (`kops-mfa init` fills them in, so that a version manager's PATH cannot
# lose it), else kops-mfa on PATH; else one line and status 127.
function _kops_mfa_run {
  local _kops_mfa_node='' _kops_mfa_script='' # kops-mfa init
  if [[ -n "${_kops_mfa_node}" && -x "${_kops_mfa_node}" && -f "${_kops_mfa_script}" ]]; then
    "${_kops_mfa_node}" "${_kops_mfa_script}" "$@"
  elif \builtin type -P kops-mfa >/dev/null 2>&1; then
    command kops-mfa "$@"
  else
    \builtin printf '%s\n' 'kops-mfa is not on PATH (a different Node version?)' >&2
    return 127
  fi
}

# Run `kops-mfa <command> --shell bash [options]`; evaluate its output only
# when it exited 0 and starts with the statements header; print it (help,
# version) when it exited 0 without; else return its status, change nothing.
function _kops_mfa_apply {
  local _kops_mfa_cmd=$1 _kops_mfa_out='' _kops_mfa_rc=0 _kops_mfa_tty=''
  shift
  # The terminal's settings, to put back if kops-mfa is killed at the prompt.
  { _kops_mfa_tty=$(command stty -g </dev/tty); } 2>/dev/null || _kops_mfa_tty=''
  # No core dump of a process that holds secrets; the limit is the subshell's.
  _kops_mfa_out=$(\builtin ulimit -c 0 2>/dev/null; _kops_mfa_run "${_kops_mfa_cmd}" --shell bash "$@") || _kops_mfa_rc=$?
  if [[ "${_kops_mfa_rc}" -gt 128 && -n "${_kops_mfa_tty}" ]]; then
    { command stty "${_kops_mfa_tty}" </dev/tty; } 2>/dev/null
  fi
  if [[ "${_kops_mfa_rc}" -ne 0 ]]; then
    return "${_kops_mfa_rc}"
  fi
  if [[ "${_kops_mfa_out%%$'\n'*}" = '# kops-mfa statements v1' ]]; then
    \builtin eval "${_kops_mfa_out}"
  elif [[ -n "${_kops_mfa_out}" ]]; then
    \builtin printf '%s\n' "${_kops_mfa_out}"
  fi
  return 0
}

# Status 0 when the arguments ask for help (before any --).
function _kops_mfa_wants_help {
  local _kops_mfa_arg
  for _kops_mfa_arg in "$@"; do
    case ${_kops_mfa_arg} in
      --help | -h) return 0 ;;
      --) return 1 ;;
      *) ;;
    esac
  done
  return 1
}

function kops-login {
  if _kops_mfa_wants_help "$@"; then
    _kops_mfa_run complete usage login
    return
  fi
  _kops_mfa_apply env "$@"
}

function kops-logout {
  if _kops_mfa_wants_help "$@"; then
    _kops_mfa_run complete usage logout
    return
  fi
  _kops_mfa_apply logout "$@"
}

# The clock, in epoch seconds, into the caller's _kops_mfa_now.
if [[ "${BASH_VERSINFO[0]}" -ge 5 ]]; then
  function _kops_mfa_clock {
    _kops_mfa_now=${EPOCHSECONDS-}
    if [[ -z "${_kops_mfa_now}" ]]; then
      _kops_mfa_now=$(date +%s) # EPOCHSECONDS was unset
    fi
  }
elif [[ "${BASH_VERSINFO[0]}" -eq 4 && "${BASH_VERSINFO[1]}" -ge 2 ]]; then
  function _kops_mfa_clock {
    \builtin printf -v _kops_mfa_now '%(%s)T' -1
  }
else
  function _kops_mfa_clock {
    _kops_mfa_now=$(date +%s)
  }
fi

# Seconds left of this shell's session into the caller's _kops_mfa_left (and
# the clock into its _kops_mfa_now); status 1 when the shell holds no session
# of kops-mfa's: the marker set, the exported key the one kops-mfa exported,
# and an expiry of at most 11 digits, at most 36 h ahead.
function _kops_mfa_time_left {
  if [[ -z "${KOPS_MFA_SESSION-}" || -z "${KOPS_MFA_KEY_ID-}" ||
    "${KOPS_MFA_KEY_ID}" != "${AWS_ACCESS_KEY_ID-}" ]]; then
    return 1
  fi
  case ${KOPS_MFA_EXPIRES-} in
    '' | *[!0-9]* | ????????????*) return 1 ;;
    *) ;;
  esac
  _kops_mfa_clock
  _kops_mfa_left=$((10#${KOPS_MFA_EXPIRES} - _kops_mfa_now))
  # More than 36 h ahead is no session kops-mfa made.
  [[ "${_kops_mfa_left}" -le 129600 ]]
}

# The reuse window in seconds into the caller's _kops_mfa_window; status 1
# when KOPS_MFA_MIN_REMAINING is not whole minutes from 0 to 720 (kops-mfa
# then says why). Empty or unset is 5. Leading zeros are allowed.
function _kops_mfa_reuse_window {
  local _kops_mfa_min=${KOPS_MFA_MIN_REMAINING:-5}
  case ${_kops_mfa_min} in
    *[!0-9]*) return 1 ;;
    *) ;;
  esac
  _kops_mfa_min=${_kops_mfa_min#"${_kops_mfa_min%%[!0]*}"}
  _kops_mfa_min=${_kops_mfa_min:-0}
  if [[ "${#_kops_mfa_min}" -gt 3 || "${_kops_mfa_min}" -gt 720 ]]; then
    return 1
  fi
  _kops_mfa_window=$((_kops_mfa_min * 60))
}

# Prints the time left of this shell's session: 42m, 1h05m, expired; with
# " needs code" when the prompt hook could not renew it without a code, or
# " sts unreachable" when STS did not answer (the hook retries each minute).
# Nothing when the shell holds no session of kops-mfa's. `-v NAME` stores the
# text in NAME instead, so a PROMPT_COMMAND can use it without a subshell.
function kops_mfa_prompt {
  local _kops_mfa_left=0 _kops_mfa_now=0 _kops_mfa_text=''
  if _kops_mfa_time_left; then
    if [[ "${_kops_mfa_left}" -le 0 ]]; then
      _kops_mfa_text=expired
    elif [[ "${_kops_mfa_left}" -lt 3600 ]]; then
      _kops_mfa_text="$((_kops_mfa_left / 60))m"
    else
      \builtin printf -v _kops_mfa_text '%dh%02dm' "$((_kops_mfa_left / 3600))" "$((_kops_mfa_left % 3600 / 60))"
    fi
    if [[ "${_kops_mfa_needs_code-}" = "${KOPS_MFA_KEY_ID}" ]]; then
      _kops_mfa_text+=' needs code'
    elif [[ "${_kops_mfa_unreachable-}" = "${KOPS_MFA_KEY_ID}" ]]; then
      _kops_mfa_text+=' sts unreachable'
    fi
  fi
  if [[ "${1-}" = -v && -n "${2-}" ]]; then
    \builtin printf -v "$2" '%s' "${_kops_mfa_text}"
  else
    \builtin printf '%s' "${_kops_mfa_text}"
  fi
}

# Completion for kops-login and kops-logout. The candidates come from
# `kops-mfa complete <login|logout> <previous word> <current word>`, one a
# line, raw. bash hands a completion function the word in pieces (split at
# the COMP_WORDBREAKS characters : and =, with its quotes), so the words are
# read again here from the line up to the cursor, dequoted. Each candidate is
# then written as the one word it is, for the text readline replaces ($2):
# printf %q outside quotes, escaped inside an opening ' or ". A name is never
# evaluated: `[$(touch x)]` in ~/.aws/credentials completes as \$\(touch\ x\).
function _kops_mfa_complete {
  local _kops_mfa_line=${COMP_LINE-} _kops_mfa_i=0 _kops_mfa_c='' _kops_mfa_q='' \
    _kops_mfa_cur='' _kops_mfa_raw='' _kops_mfa_prev='' _kops_mfa_pre='' \
    _kops_mfa_fn=login _kops_mfa_out='' _kops_mfa_word='' _kops_mfa_full='' _kops_mfa_keep=''
  COMPREPLY=()
  _kops_mfa_line=${_kops_mfa_line:0:${COMP_POINT:-${#_kops_mfa_line}}}
  if [[ "${1-}" = kops-logout ]]; then
    _kops_mfa_fn=logout
  fi
  while [[ "${_kops_mfa_i}" -lt "${#_kops_mfa_line}" ]]; do
    _kops_mfa_c=${_kops_mfa_line:${_kops_mfa_i}:1}
    _kops_mfa_i=$((_kops_mfa_i + 1))
    if [[ "${_kops_mfa_q}" = "'" ]]; then
      if [[ "${_kops_mfa_c}" = "'" ]]; then _kops_mfa_q=''; else _kops_mfa_cur+=${_kops_mfa_c}; fi
    elif [[ "${_kops_mfa_c}" = "\\" ]]; then
      _kops_mfa_raw+=${_kops_mfa_c}
      _kops_mfa_c=${_kops_mfa_line:${_kops_mfa_i}:1}
      _kops_mfa_i=$((_kops_mfa_i + 1))
      if [[ "${_kops_mfa_q}" = '"' && "${_kops_mfa_c}" != [\"\$\`\\] ]]; then
        _kops_mfa_cur+="\\"
      fi
      _kops_mfa_cur+=${_kops_mfa_c}
    elif [[ "${_kops_mfa_q}" = '"' ]]; then
      if [[ "${_kops_mfa_c}" = '"' ]]; then _kops_mfa_q=''; else _kops_mfa_cur+=${_kops_mfa_c}; fi
    elif [[ "${_kops_mfa_c}" = [\'\"] ]]; then
      _kops_mfa_q=${_kops_mfa_c}
    elif [[ "${_kops_mfa_c}" = [[:space:]] ]]; then
      if [[ -n "${_kops_mfa_raw}" ]]; then
        _kops_mfa_prev=${_kops_mfa_cur}
        _kops_mfa_cur=''
        _kops_mfa_raw=''
      fi
      continue
    else
      _kops_mfa_cur+=${_kops_mfa_c}
    fi
    _kops_mfa_raw+=${_kops_mfa_c}
  done
  # --profile=de: the option is the previous word, and stays in front.
  if [[ -z "${_kops_mfa_q}" && "${_kops_mfa_raw}" = --*=* && "${_kops_mfa_cur}" = --*=* ]]; then
    _kops_mfa_prev=${_kops_mfa_cur%%=*}
    _kops_mfa_cur=${_kops_mfa_cur#*=}
    _kops_mfa_pre="${_kops_mfa_prev}="
  fi
  _kops_mfa_out=$(_kops_mfa_run complete "${_kops_mfa_fn}" "${_kops_mfa_prev}" "${_kops_mfa_cur}" 2>/dev/null </dev/null) || return 0
  # What readline keeps of the word: the raw text before the part it replaces.
  _kops_mfa_keep=${_kops_mfa_raw%"${2-}"}
  while IFS= \builtin read -r _kops_mfa_word; do
    [[ -n "${_kops_mfa_word}" ]] || continue
    case ${_kops_mfa_q}:${_kops_mfa_raw} in
      "'":"'"*)
        _kops_mfa_full="'${_kops_mfa_word//\'/\'\\\'\'}" ;; # readline closes the quote
      '"':'"'*)
        _kops_mfa_word=${_kops_mfa_word//\\/\\\\}
        _kops_mfa_word=${_kops_mfa_word//\"/\\\"}
        _kops_mfa_word=${_kops_mfa_word//\$/\\\$}
        _kops_mfa_full="\"${_kops_mfa_word//\`/\\\`}" ;;
      *)
        \builtin printf -v _kops_mfa_full '%q' "${_kops_mfa_word}"
        _kops_mfa_full=${_kops_mfa_pre}${_kops_mfa_full} ;;
    esac
    case ${_kops_mfa_full} in
      "${_kops_mfa_keep}"*) COMPREPLY+=("${_kops_mfa_full#"${_kops_mfa_keep}"}") ;;
      *) ;; # a word typed in a way this cannot continue
    esac
  done <<<"${_kops_mfa_out}"
  return 0
}

# Completion for kops-mfa itself: `kops-mfa complete cli <words> <current>`
# prints `candidate<TAB>description` lines for the words after kops-mfa
# (commands, their options, profile and shell names); bash shows no
# descriptions, so each candidate is taken up to the tab, quoted as one word.
function _kops_mfa_complete_cli {
  local _kops_mfa_out='' _kops_mfa_line='' _kops_mfa_word=''
  COMPREPLY=()
  _kops_mfa_out=$(_kops_mfa_run complete cli "${COMP_WORDS[@]:1:${COMP_CWORD:-1}}" 2>/dev/null </dev/null) || return 0
  while IFS= \builtin read -r _kops_mfa_line; do
    [[ -n "${_kops_mfa_line}" ]] || continue
    \builtin printf -v _kops_mfa_word '%q' "${_kops_mfa_line%%$'\t'*}"
    COMPREPLY+=("${_kops_mfa_word}")
  done <<<"${_kops_mfa_out}"
  return 0
}

if \builtin command -v complete >/dev/null 2>&1; then
  \builtin complete -F _kops_mfa_complete kops-login kops-logout
  \builtin complete -F _kops_mfa_complete_cli kops-mfa
fi

case ${KOPS_MFA_AUTO_REFRESH-} in
  1 | prompt)
    # The session's expiry is in this shell (KOPS_MFA_EXPIRES): while more
    # than the reuse window is left, kops runs at once and kops-mfa does not
    # start. Otherwise kops-login first: the cache or the MFA session when it
    # can, a code only when the session really ended.
    function kops {
      local _kops_mfa_left=0 _kops_mfa_now=0 _kops_mfa_window=0
      if ! _kops_mfa_time_left || ! _kops_mfa_reuse_window ||
        [[ "${_kops_mfa_left}" -le "${_kops_mfa_window}" ]]; then
        # --quiet: no "reusing the cached session" note before a kops run.
        kops-login --quiet || return
      fi
      command kops "$@"
    }
    ;;
  *) ;;
esac

if [[ "${KOPS_MFA_AUTO_REFRESH-}" = prompt ]]; then
  # Before each prompt, when the session is within the reuse window of its end
  # (or past it): a renewal without a code (--no-prompt, no terminal, no
  # output), at most once a minute per session. It runs in the background, so
  # the prompt never waits for STS; it renews kops-mfa's cache, and a later
  # prompt takes the session from there (--min-remaining 0: the cache, no STS). Its exit
  # status is all it leaves: 5 (STS unreachable, retried the next minute)
  # and any other failure (a code is needed) are what kops_mfa_prompt says.
  # $? of the user's command is kept.
  function _kops_mfa_hook {
    local _kops_mfa_status=$? _kops_mfa_left=0 _kops_mfa_now=0 _kops_mfa_window=0 _kops_mfa_rc=''
    if [[ -n "${_kops_mfa_job-}" ]]; then
      if [[ -r "${_kops_mfa_job}/rc" ]]; then
        IFS= \builtin read -r _kops_mfa_rc <"${_kops_mfa_job}/rc" || :
      fi
      if [[ -n "${_kops_mfa_rc}" ]]; then
        command rm -rf -- "${_kops_mfa_job}"
        _kops_mfa_job=''
        _kops_mfa_renewed "${_kops_mfa_rc}"
      fi
    fi
    if [[ -z "${_kops_mfa_job-}" ]] && _kops_mfa_time_left && _kops_mfa_reuse_window &&
      [[ "${_kops_mfa_left}" -le "${_kops_mfa_window}" ]] &&
      [[ "${_kops_mfa_tried_key-}" != "${KOPS_MFA_KEY_ID}" ||
      $((_kops_mfa_now - ${_kops_mfa_tried:-0})) -ge 60 ]]; then
      _kops_mfa_tried=${_kops_mfa_now}
      _kops_mfa_tried_key=${KOPS_MFA_KEY_ID}
      _kops_mfa_job=$(command mktemp -d "${TMPDIR:-/tmp}/kops-mfa-renew.XXXXXX" 2>/dev/null) || _kops_mfa_job=''
      if [[ -n "${_kops_mfa_job}" ]]; then
        # ( … &): a process of its own, not a job of this shell (no job messages).
        ( (
          \builtin ulimit -c 0 2>/dev/null
          _kops_mfa_run env --shell bash --quiet --no-prompt
          \builtin echo "$?" >"${_kops_mfa_job}/rc"
        ) </dev/null >/dev/null 2>&1 &)
      fi
    fi
    return "${_kops_mfa_status}"
  }
  # What a background renewal's exit status means for this shell.
  function _kops_mfa_renewed {
    _kops_mfa_needs_code=''
    _kops_mfa_unreachable=''
    case $1 in
      0)
        # Renewed: take it from the cache, unless a kops-login replaced the session since.
        if [[ "${KOPS_MFA_KEY_ID-}" = "${_kops_mfa_tried_key-}" ]] &&
          ! _kops_mfa_apply env --quiet --no-prompt --min-remaining 0 </dev/null >/dev/null 2>&1; then
          _kops_mfa_needs_code=${_kops_mfa_tried_key-}
        fi
        # The session now in the shell (the renewed one) waits its minute too.
        _kops_mfa_tried_key=${KOPS_MFA_KEY_ID-}
        ;;
      5) _kops_mfa_unreachable=${_kops_mfa_tried_key-} ;;
      *) _kops_mfa_needs_code=${_kops_mfa_tried_key-} ;;
    esac
  }
  # First, so that it sees the status of the user's command (and hands it on).
  if [[ -z "${PROMPT_COMMAND+set}" ]]; then
    PROMPT_COMMAND=_kops_mfa_hook
  elif [[ ";${PROMPT_COMMAND[*]};" != *";_kops_mfa_hook;"* ]]; then
    if [[ "$(declare -p PROMPT_COMMAND 2>/dev/null)" = "declare -a"* ]]; then
      PROMPT_COMMAND=(_kops_mfa_hook "${PROMPT_COMMAND[@]}") # bash 5.1 array
    else
      # shellcheck disable=SC2128,SC2178 # a string here
      PROMPT_COMMAND="_kops_mfa_hook;${PROMPT_COMMAND}"
    fi
  fi
fi
