// The whole public API: `#include <descent/descent.hpp>`.
#pragma once
#include "descent/autograd/engine.hpp"
#include "descent/autograd/grad_mode.hpp"
#include "descent/core/generator.hpp"
#include "descent/core/tensor.hpp"
#include "descent/ops.hpp"
#include "descent/nn/conv.hpp"
#include "descent/nn/normalization.hpp"
#include "descent/nn/pooling.hpp"
#include "descent/nn.hpp"
