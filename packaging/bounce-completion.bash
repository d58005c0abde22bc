# bash completion for bounce: the commands, each command's options (read from its own
# --help, so they cannot drift), the names --format, --target, --style, --dither and --bits
# take, and file names for the rest.
_bounce() {
    local cur prev words cword
    _init_completion || return
    local commands="analyze process mix master compare album check automix serve plugins worker batch"
    local command="" i
    for ((i = 1; i < cword; i++)); do
        case ${words[i]} in -*) ;; *) command=${words[i]}; break ;; esac
    done
    if [[ -z $command ]]; then
        COMPREPLY=($(compgen -W "$commands --help --version --quiet --verbose -q -v" -- "$cur"))
        return
    fi
    case $prev in
        --format) COMPREPLY=($(compgen -W "wav aiff flac alac mp3 aac opus ogg w64" -- "$cur")); return ;;
        --target) COMPREPLY=($(compgen -W "spotify spotify-loud spotify-quiet apple youtube tidal amazon deezer soundcloud ebu-r128 atsc-a85 cd" -- "$cur")); return ;;
        --style) COMPREPLY=($(compgen -W "neutral warm bright punchy wide loud" -- "$cur")); return ;;
        --dither) COMPREPLY=($(compgen -W "tpdf shaped none" -- "$cur")); return ;;
        --bits) COMPREPLY=($(compgen -W "16 24 32f" -- "$cur")); return ;;
        --loudness) COMPREPLY=($(compgen -W "album track" -- "$cur")); return ;;
        --systems) COMPREPLY=($(compgen -W "earbuds phone laptop tv car club" -- "$cur")); return ;;
        -o | --output | --stems | --preview | --data | --store) _filedir; return ;;
    esac
    if [[ $cur == -* ]]; then
        local options
        options=$("${words[0]}" "$command" --help 2>/dev/null | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u)
        COMPREPLY=($(compgen -W "$options --quiet --verbose" -- "$cur"))
        return
    fi
    _filedir
}
complete -F _bounce bounce
