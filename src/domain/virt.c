/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "virt.h"

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "string-util.h"

struct Virt {
        virConnectPtr conn;
        char *uri;
};

static void silence(void *opaque, virErrorPtr e)
{
        /* libvirt prints errors to stderr by default; vmslice reports them itself */
}

static const char *last_error(void)
{
        virErrorPtr e = virGetLastError();
        return e && e->message ? e->message : "unknown libvirt error";
}

int virt_open(const char *uri, Virt **ret, Error *err)
{
        virSetErrorFunc(NULL, silence);
        Virt *v = calloc(1, sizeof(Virt));
        if (!v || !(v->uri = strdup(uri ? uri : VIRT_DEFAULT_URI))) {
                free(v);
                return error_fail(err, -ENOMEM, "out of memory");
        }
        v->conn = virConnectOpen(v->uri);
        if (!v->conn) {
                int r = error_fail(
                    err, -ECONNREFUSED,
                    "cannot connect to libvirt at %s: %s; is libvirtd running (and are you "
                    "root or in the libvirt group)?",
                    v->uri, last_error());
                virt_close(v);
                return r;
        }
        *ret = v;
        return 0;
}

Virt *virt_close(Virt *v)
{
        if (!v)
                return NULL;
        if (v->conn)
                virConnectClose(v->conn);
        free(v->uri);
        free(v);
        return NULL;
}

static int lookup(Virt *v, const char *name, virDomainPtr *ret, Error *err)
{
        *ret = virDomainLookupByName(v->conn, name);
        if (*ret)
                return 0;
        virErrorPtr e = virGetLastError();
        if (e && e->code == VIR_ERR_NO_DOMAIN)
                return error_input(err, "no domain '%s' at %s; 'virsh -c %s list --all' lists them",
                                   name, v->uri, v->uri);
        return error_fail(err, -EIO, "cannot look up domain '%s' at %s: %s", name, v->uri,
                          last_error());
}

static int parse_xml(char *xml, const char *name, Domain **ret, Error *err)
{
        if (!xml)
                return error_fail(err, -EIO, "cannot read the definition of '%s': %s", name,
                                  last_error());
        _cleanup_(freep) char *source = strdup_printf("libvirt:%s", name);
        int r = source ? domain_parse(xml, strlen(xml), source, ret, err)
                       : error_fail(err, -ENOMEM, "out of memory");
        free(xml);
        return r;
}

int virt_load_live_domain(Virt *v, const char *name, Domain **ret, Error *err)
{
        virDomainPtr dom;
        int r = lookup(v, name, &dom, err);
        if (r < 0)
                return r;
        int active = virDomainIsActive(dom);
        char *xml = active == 1 ? virDomainGetXMLDesc(dom, 0) : NULL;
        virDomainFree(dom);
        if (active == 0)
                return error_input(err,
                                   "domain '%s' is not running; start it, or give its XML "
                                   "file and --pid",
                                   name);
        return parse_xml(xml, name, ret, err);
}

int virt_load_domain(Virt *v, const char *name, Domain **ret, Error *err)
{
        virDomainPtr dom;
        int r = lookup(v, name, &dom, err);
        if (r < 0)
                return r;
        char *xml = virDomainGetXMLDesc(dom, VIR_DOMAIN_XML_INACTIVE | VIR_DOMAIN_XML_SECURE);
        virDomainFree(dom);
        return parse_xml(xml, name, ret, err);
}

int virt_define(Virt *v, const char *xml, Error *err)
{
        virDomainPtr dom = virDomainDefineXML(v->conn, xml);
        if (!dom)
                return error_fail(err, -EIO, "libvirt refused the new definition: %s",
                                  last_error());
        virDomainFree(dom);
        return 0;
}

int virt_list_domains(Virt *v, char ***ret, Error *err)
{
        virDomainPtr *doms = NULL;
        char **names = NULL;
        int n = virConnectListAllDomains(v->conn, &doms, VIR_CONNECT_LIST_DOMAINS_PERSISTENT);
        if (n < 0)
                return error_fail(err, -EIO, "cannot list the domains at %s: %s", v->uri,
                                  last_error());
        int r = 0;
        for (int i = 0; i < n; i++) {
                const char *name = virDomainGetName(doms[i]);
                if (r >= 0 && name)
                        r = strv_extend(&names, name);
                virDomainFree(doms[i]);
        }
        free(doms);
        if (r < 0) {
                strv_free(names);
                return error_fail(err, r, "out of memory");
        }
        if (!names && !(names = calloc(1, sizeof(char *))))
                return error_fail(err, -ENOMEM, "out of memory");
        *ret = names;
        return 0;
}
