// Everything of descent::nn: modules, layers, activations, losses, init, functional.
#pragma once
#include "descent/nn/activation.hpp"
#include "descent/nn/conv.hpp"
#include "descent/nn/dropout.hpp"
#include "descent/nn/flatten.hpp"
#include "descent/nn/functional.hpp"
#include "descent/nn/init.hpp"
#include "descent/nn/linear.hpp"
#include "descent/nn/loss.hpp"
#include "descent/nn/module.hpp"
#include "descent/nn/normalization.hpp"
#include "descent/nn/pooling.hpp"
