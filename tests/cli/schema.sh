#!/bin/bash
# Plans validate as part of a domain with libvirt's own validator (virt-xml-validate, package
# libvirt-clients). The property test validates every plan with the same schema in-process; this
# runs the real tool on a plan of each fixture and each option family.
. "$(dirname "$0")/lib.sh"
if ! command -v virt-xml-validate >/dev/null; then
        echo "ok 1 # SKIP virt-xml-validate not installed (apt-get install libvirt-clients)"
        echo "1..1"
        exit 0
fi
wrap() { # plan output on stdin -> full domain
        sed -e '1s|<domain>|<domain type="kvm"><name>vmslice-test</name><os><type arch="x86_64">hvm</type></os>|' \
            -e 's|^</domain>|</domain>|' | {
                doc=$(cat)
                if [[ "$doc" != *"<memory "* ]]; then
                        doc=${doc/<\/domain>/<memory unit=\"KiB\">1048576<\/memory><\/domain>}
                fi
                printf '%s\n' "$doc"
        }
}
check() { # DESCRIPTION HOST ARGS...
        local desc=$1 host=$2
        shift 2
        if ! "$VMSLICE" --root "$(unpack "$host")" plan "$@" >"$WORK/plan.xml" 2>"$WORK/err"; then
                diag <"$WORK/err"
                ok 1 "$desc: plan failed"
                return
        fi
        wrap <"$WORK/plan.xml" >"$WORK/domain.xml"
        if virt-xml-validate "$WORK/domain.xml" domain >"$WORK/v" 2>&1; then
                ok 0 "$desc validates"
        else
                diag <"$WORK/v"
                diag <"$WORK/domain.xml"
                ok 1 "$desc does not validate"
        fi
}
for h in "$HOSTS"/*.tar.gz; do
        n=$(basename "$h" .tar.gz)
        check "$n defaults" "$n"
        check "$n with memory" "$n" --memory 2G --iothreads 2
done
check "realtime + isolated emulator" i5-6c-nosmt --vcpus 3 --host-cores 2 --emulator isolated --realtime
check "split with guest NUMA cells" xeon-4s-80t --vcpus 40 --memory 32G
check "AMD topoext" ryzen-5900x --vcpus 12
check "1G pages" ryzen-7950x3d --vcpus 8 --memory 16G --hugepages 1G
check "no hugepages" i7-6800k --vcpus 4 --memory 8G --hugepages none
check "guest dies" ryzen-5900x --vcpus 20 --memory 16G
done_testing
