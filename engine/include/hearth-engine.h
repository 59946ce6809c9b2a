/* hearth-engine.h: the public interface of libhearth-engine
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * This umbrella header is the only way into the engine. It depends on GLib
 * and nothing of GTK.
 */
#pragma once

#define HEARTH_ENGINE_INSIDE
#include "hearth-engine-error.h"
#include "hearth-ggml-type.h"
#include "hearth-gguf.h"
#include "hearth-model.h"
#include "hearth-session.h"
#include "hearth-constraint.h"
#include "hearth-embed.h"
#include "hearth-sampler.h"
#include "hearth-bench.h"
#include "hearth-generate.h"
#include "hearth-gguf-writer.h"
#include "hearth-model-quantize.h"
#include "hearth-tokenizer.h"
#include "hearth-json.h"
#include "hearth-jinja.h"
#include "hearth-tool-call.h"
#include "hearth-chat.h"
#undef HEARTH_ENGINE_INSIDE
