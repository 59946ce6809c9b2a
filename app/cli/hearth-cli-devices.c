/* hearth-cli-devices.c: `hearth-cli devices`, the Vulkan devices this machine has
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Lists each device with the index `--device` takes, whether it is a GPU or a
 * CPU implementation (lavapipe), its device-local memory and the features
 * the kernels are chosen from.
 */
#include "hearth-config.h"

#include <stdio.h>

#include "hearth-cli.h"
#include "hearth-engine.h"

int
hearth_cli_devices (int    argc,
                    char **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new ("- list the Vulkan devices");
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  if (!hearth_cli_parse (context, &argc, &argv))
    return 2;
  text = hearth_describe_devices (&error);
  if (text == NULL)
    return hearth_cli_fail (error);
  fputs (text, stdout);
  return 0;
}
