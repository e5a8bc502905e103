"""`Optimizer`: the base class owning the step count, learning rate, clipping, weight decay,
EMA and gradient accumulation; subclasses only state their update rule.

A step (`apply` / `apply_gradients`), as Keras 3 does it:
    1. gradients are copied into a flat per-dtype buffer (None ones are skipped, with a
       warning); divided by `loss_scale_factor` if set;
    2. with `gradient_accumulation_steps=k`: summed into accumulators; every k-th call the
       mean of the last k gradients is used, other calls stop here (go to 5);
    3. clipped (`clipnorm` per variable, `global_clipnorm`, or `clipvalue`);
    4. decoupled weight decay `w -= w * weight_decay * lr` (before the rule's update), then
       the update rule, run by `_update_flat` on flat buffers (see `_slots.py`);
    5. EMA of the weights if `use_ema`; constraints `w.assign(w.constraint(w))`;
       `iterations += 1`.
Built-in rules implement `_slot_layout`, `_step_constants` and `_update_flat`. A user subclass
may instead override Keras's `build` + `update_step(gradient, variable, learning_rate)`.
"""
import warnings

import numpy as np

from lamina.engine import threads
from lamina.engine.tensor import Tensor, Variable, data_of
from lamina.optimizers import schedules
from lamina.optimizers._base_api import OptimizerAPI
from lamina.optimizers._stateless import StatelessOptimizerAPI
from lamina.optimizers._slots import CHUNK, SlotStore

_FLUSH_EVERY = 64  # steps between flushes of subnormal slot values


class Optimizer(OptimizerAPI, StatelessOptimizerAPI):
    """Base optimizer (Keras 3's `keras.optimizers.Optimizer`).

    learning_rate: float, `LearningRateSchedule` (called with `iterations`), or a callable
        of no arguments. weight_decay: decoupled decay factor (None: off).
    clipnorm / clipvalue / global_clipnorm: at most one; per-variable norm, elementwise
        value, or global norm clipping. use_ema, ema_momentum, ema_overwrite_frequency:
        keep an exponential moving average of the weights. loss_scale_factor: gradients are
        divided by it. gradient_accumulation_steps: update every k calls with the mean gradient.
    """

    _overwritten = frozenset()  # ids of the variables assigned their gradient (see build)

    def _slot_layout(self):
        """Slot groups in Keras's creation order: a list of [(name, initial value), ...];
        the names of one group are interleaved per variable, groups follow each other."""
        return []

    def _scratch_count(self):
        return 1

    def _step_constants(self, dtype, lr, step):
        """Per-step scalars for `_update_flat`, in `dtype` (lr: float, step: int from 0)."""
        raise NotImplementedError(f"{type(self).__name__} does not define _step_constants")

    def _update_flat(self, b, c):
        """Update the slots in `b` (flat arrays by name, with "grad", "scratch", ...) and
        return (buffer name, add): the variable gets `+= buffer` if add else `-= buffer`."""
        raise NotImplementedError(f"{type(self).__name__} does not define _update_flat")

    def _native_rule(self):
        """A compiled fused update `rule(b, c)` for float32 chunks, or None (the default).

        `b` and `c` are as for `_update_flat`, plus `b["weight"]`; the rule updates the slots
        and the weights in one pass, bitwise-identically to `_update_flat` followed by the
        weight update (lamina/_native). Only used when the optimizer owns the weights."""
        return None

    def _uses_fast_path(self):
        """The flat-buffer path runs unless a subclass brings its own `update_step`."""
        cls = type(self)
        return cls.update_step is Optimizer.update_step and (
            cls._update_flat is not Optimizer._update_flat
        )

    def _advance(self, step):
        """Hook run once per update step before the variables are updated (Nadam)."""

    def _build_extra(self, variables):
        """Hook to create variables after the slots (Nadam's `u_product`)."""

    # --- building ------------------------------------------------------------------------
    def build(self, variables):
        """Create the slot variables for `variables` (the trainable variables to update)."""
        if self.built:
            return
        self._fast = self._uses_fast_path()
        variables = list(variables)
        for v in variables:
            if not isinstance(v, Variable):
                raise TypeError(
                    f"{self.name}: optimizers update lamina.Variable objects, got "
                    f"{type(v).__name__}; pass model.trainable_variables"
                )
            if v.data.dtype.kind != "f":
                raise TypeError(
                    f"{self.name}: cannot optimize variable {v.path!r} of dtype {v.dtype}: only "
                    "float variables have gradients; make it non-trainable"
                )
        # variables that take their gradient as their new value (float8 scales) get no state
        self._overwritten = {id(v) for v in variables if v.overwrite_with_gradient}
        variables = [v for v in variables if not v.overwrite_with_gradient]
        self._trainable_variables = variables[:]
        self._trainable_variables_indices = {id(v): i for i, v in enumerate(variables)}
        store = self._store = SlotStore(variables)
        self._grad_views = store.add("grad")
        for k in range(max(self._scratch_count(), 1)):
            store.add("scratch" if k == 0 else f"scratch{k + 1}")
        if self.use_ema:
            self._model_variables_moving_average = self._add_slots(variables, [("average", 0)])[0]
        if self.gradient_accumulation_steps:
            self._accumulated_gradients = self._add_slots(
                variables, [("gradient_accumulator", 0)]
            )[0]
        self._slots = {}
        for group in self._slot_layout():
            lists = self._add_slots(variables, group)
            self._slots.update(zip([name for name, _ in group], lists))
        self._wd_mask = [self._use_weight_decay(v) for v in variables]
        self._build_extra(variables)
        self._owns_weights = self._adopt_weights(variables)
        # the compiled update (chosen once: it depends on the configuration and on the
        # extension being present, neither of which changes during training)
        self._native = self._native_rule() if self._owns_weights else None
        self._direct = None
        self.built = True

    def _adopt_weights(self, variables):
        """Move the variables' storage into a flat "weight" buffer (each `v.data` becomes a
        view), so the update is applied chunk by chunk while the chunk is in cache instead
        of in one more pass over all the weights. A variable already backed by someone
        else's buffer (e.g. a second optimizer) keeps its storage, and then none move."""
        if not self._fast or any(v.data.base is not None or not v.data.flags.c_contiguous
                                 for v in variables):
            return False
        for v, view in zip(variables, self._store.add("weight")):
            view[...] = v.data
            v.data = view
        return True

    def _add_slots(self, variables, group):
        """Flat-backed slot variables named like Keras's, created interleaved per variable."""
        views = [self._store.add(name, fill) for name, fill in group]
        lists = [[] for _ in group]
        for i, v in enumerate(variables):
            for k, (name, _) in enumerate(group):
                slot_name = f"{v.path.replace('/', '_')}_{name}"
                slot = self._new_variable(views[k][i], slot_name, v.dtype)
                slot.data = views[k][i]  # share the flat buffer (same shape and dtype)
                lists[k].append(slot)
        return lists

    # --- the step ------------------------------------------------------------------------
    def apply_gradients(self, grads_and_vars):
        """Apply (gradient, variable) pairs; returns `iterations` (as tf.keras did)."""
        pairs = list(grads_and_vars)
        if pairs:
            grads, variables = zip(*pairs)
            self.apply(grads, variables)
        return self._iterations

    def _apply_arguments(self, grads, trainable_variables):
        """`apply`'s (grads, variables) as sequences of one length, the optimizer built on the
        variables when they are given; ([], []) when there are no gradients."""
        if not isinstance(grads, (list, tuple)):
            grads = list(grads)
        if not grads:
            return [], []
        if trainable_variables is None:
            if not self.built:
                raise ValueError(
                    "When passing `grads` without `variables`, the optimizer must already be "
                    "built on a list of variables. Call `optimizer.build(trainable_variables)` "
                    "first."
                )
            variables = self._trainable_variables
        else:
            variables = trainable_variables
            if not isinstance(variables, (list, tuple)):
                variables = list(variables)
            if not self.built:
                self.build(variables)
        if len(grads) != len(variables):
            raise ValueError(
                f"{self.name}: got {len(grads)} gradients for {len(variables)} variables; pass "
                "exactly one gradient (or None) per variable, in the order of the variables"
            )
        return grads, variables

    def apply(self, grads, trainable_variables=None):
        """Update the variables with `grads` (one per variable; None entries are skipped).

        Without `trainable_variables`, the optimizer must be built and `grads` follows the
        order of the variables it was built with.
        """
        grads, variables = self._apply_arguments(grads, trainable_variables)
        if not grads:
            return
        if self._overwritten:
            grads, variables = self._overwrite_with_gradients(grads, variables)
            if not variables:
                self._iterations.data[()] += 1
                return
        self._step(self._gather(grads, variables))

    def _overwrite_with_gradients(self, grads, variables):
        """Assign the variables marked `overwrite_with_gradient` their gradient (Keras: the
        new scale and amax history of float8 training) and return the other pairs."""
        if self.gradient_accumulation_steps:
            raise NotImplementedError(
                f"{self.name}: gradient accumulation with float8-quantized layers (variables "
                "overwritten by their gradient) is not implemented in lamina")
        kept_grads, kept = [], []
        for g, v in zip(grads, variables):
            if id(v) not in self._overwritten:
                kept_grads.append(g)
                kept.append(v)
            elif g is not None:
                v.assign(g)
        return kept_grads, kept

    def _gather(self, grads, variables):
        """Copy the gradients into the flat buffer; the indices of those present."""
        views = self._grad_views
        known = self._trainable_variables_indices
        present = []
        missing = None
        # large gradients are read in place unless a step reads the flat copy (clipping,
        # loss scaling, accumulation, or a custom per-variable update_step)
        direct = None if (self._clipping or self.loss_scale_factor is not None
                          or self.gradient_accumulation_steps or not self._fast) else {}
        self._direct = direct
        for g, v in zip(grads, variables):
            i = known.get(id(v))
            if i is None:
                raise ValueError(
                    f"Unknown variable: {v!r}. This optimizer can only be called for the "
                    "variables it was originally built with. When working with a new set of "
                    "variables, you should recreate a new optimizer instance."
                )
            if g is None:
                missing = (missing or []) + [v.path]
                continue
            arr = g.data if isinstance(g, Tensor) else np.asarray(g)
            dst = views[i]
            if arr.shape != dst.shape:
                raise ValueError(
                    f"{self.name}: the gradient for variable {v.path!r} has shape {arr.shape} but "
                    f"the variable has shape {dst.shape}; gradients must be listed in the same "
                    "order as their variables"
                )
            if arr.dtype.kind not in "fiub":
                raise TypeError(
                    f"{self.name}: the gradient for variable {v.path!r} has dtype {arr.dtype}; "
                    "expected a real (float) gradient"
                )
            if direct is not None and arr.size >= CHUNK and arr.dtype == dst.dtype and arr.flags.c_contiguous:
                direct[i] = arr.reshape(-1)  # read in place by the update: no copy
            else:
                dst[...] = arr
            present.append(i)
        if not present:
            raise ValueError("No gradients provided for any variable.")
        if missing:
            warnings.warn(
                f"Gradients do not exist for variables {missing} when minimizing the loss. If "
                "using `model.compile()`, did you forget to provide a `loss` argument?",
                stacklevel=4,
            )
        if len(present) > 1 and len(set(present)) != len(present):
            raise ValueError(f"{self.name}: a variable was passed twice in one apply() call")
        return present

    def _step(self, present):
        store = self._store
        segs = store.segments(present)
        if self.loss_scale_factor is not None:
            for seg in segs:
                g = seg.bufs["grad"]
                np.divide(g, g.dtype.type(self.loss_scale_factor), out=g)
        k = self.gradient_accumulation_steps
        if not k:
            self._update(segs)
        elif (self._iterations.data.item() + 1) % k == 0:
            for seg in segs:  # the mean of the k gradients: (g + accumulated) / k
                g = seg.bufs["grad"]
                g += seg.bufs["gradient_accumulator"]
                np.divide(g, g.dtype.type(k), out=g)
            self._update(segs)
            for grp in store.groups.values():
                grp.buffers["gradient_accumulator"].fill(0)
        else:
            for seg in segs:
                seg.bufs["gradient_accumulator"] += seg.bufs["grad"]
        if self.use_ema:
            self._update_ema()
        variables = self._trainable_variables
        for i in present:
            v = variables[i]
            if v.constraint is not None:
                v.assign(v.constraint(v))
        it = self._iterations.data
        count = it.item() + 1
        it[()] = count  # much cheaper than a 0-d ufunc call
        self._direct = None  # do not keep this step's gradient arrays alive
        if count % _FLUSH_EVERY == 0:
            self._flush_subnormals()

    def _flush_subnormals(self):
        """Set slot values below the smallest normal float to 0.

        A moment whose gradient stays 0 (a dead ReLU unit) decays geometrically into the
        subnormal range, where x86 arithmetic is ~40x slower; at that size it cannot
        change any update (e.g. sqrt(v + epsilon) with epsilon = 1e-7), so zero is exact
        for all practical purposes and keeps every later step at full speed.
        """
        for grp in self._store.groups.values():
            tiny = np.finfo(grp.dtype).tiny
            for name, buf in grp.buffers.items():
                if name in ("grad", "weight") or name.startswith("scratch"):
                    continue
                np.putmask(buf, np.abs(buf) < tiny, 0)

    def _update(self, segs):
        """Clip, decay and update the variables of `segs` (one real optimizer step)."""
        lr = self._current_lr()
        if self._clipping:
            self._clip(segs)
        step = self._effective_step()
        self._advance(step)
        if not self._fast:
            self._update_slow(segs, lr)
            return
        wd = self.weight_decay
        variables = self._trainable_variables
        shaped = self._store.shaped
        constants = {}
        owned = self._owns_weights
        native = self._native
        for seg in segs:
            dt = seg.group.dtype
            c = constants.get(dt)
            if c is None:
                c = constants[dt] = self._step_constants(dt, lr, step)
            rule = native if dt == np.float32 else None
            if wd:  # decoupled decay first: w <- w * (1 - weight_decay * lr)
                factor, mask = dt.type(1.0 - wd * lr), self._wd_mask
                for i in seg.members:
                    if mask[i]:
                        vd = variables[i].data
                        vd *= factor
            direct = self._direct
            parts = seg.parts
            if direct:  # chunks whose gradient was written straight into its own array
                parts = [part if src is None or direct.get(src[0]) is None
                         else {**part, "grad": direct[src[0]][src[1]:src[2]]}
                         for part, src in zip(parts, seg.direct)]
            if rule is not None:
                # a fused rule's chunks are independent elementwise updates: inside fit they go
                # to two threads (the same bits; MNIST MLP epoch A/B, 2-vCPU AVX-512 EPYC:
                # rmsprop 0.606 -> 0.583 s per 234 steps, adam 0.607 -> 0.546 s)
                threads.map_pair(lambda part: rule(part, c), parts)
                continue
            for part in parts:
                name, add = self._update_flat(part, c)
                if owned:  # the chunk of the weights is updated while it is in cache
                    w = part["weight"]
                    if add:
                        w += part[name]
                    else:
                        w -= part[name]
            if owned:
                continue
            deltas = shaped[name]
            if add:
                for i in seg.members:
                    vd = variables[i].data
                    vd += deltas[i]
            else:
                for i in seg.members:
                    vd = variables[i].data
                    vd -= deltas[i]

    def _update_slow(self, segs, lr):
        """Keras's per-variable path, for subclasses that override `update_step`."""
        variables = self._trainable_variables
        members = [i for seg in segs for i in seg.members]
        for i in members:
            wd = self._weight_decay_of(variables[i]) if self._wd_mask[i] else None
            if wd:
                vd = variables[i].data
                np.multiply(vd, vd.dtype.type(1.0 - wd * lr), out=vd)
        learning_rate = self.learning_rate
        for i in members:
            self.update_step(Tensor(self._grad_views[i]), variables[i], learning_rate)

    def _weight_decay_of(self, variable):
        """The decoupled weight-decay factor of `variable` on the per-variable path (None:
        no decay); Muon gives its Adam-updated variables their own factor."""
        return self.weight_decay

    def update_step(self, gradient, variable, learning_rate):
        """Update one variable (Keras's per-variable API; the step count is `iterations`)."""
        if type(self)._update_flat is Optimizer._update_flat:
            raise NotImplementedError(
                f"{type(self).__name__} must implement update_step(gradient, variable, "
                "learning_rate) (or the flat-buffer rule _update_flat)"
            )
        i = self._get_variable_index(variable)
        grad, dst = np.asarray(data_of(gradient)), self._grad_views[i]
        if grad.shape != dst.shape:
            raise ValueError(
                f"{self.name}: the gradient for variable {variable.path!r} has shape "
                f"{grad.shape} but the variable has shape {dst.shape}"
            )
        dst[...] = grad
        seg = self._store.segments([i])[0]
        dt = seg.group.dtype
        c = self._step_constants(dt, float(data_of(learning_rate)), self._effective_step())
        for part in seg.parts:
            name, add = self._update_flat(part, c)
        vd = variable.data
        (np.add if add else np.subtract)(vd, self._store.shaped[name][i], out=vd)

    @property
    def _clipping(self):
        return bool(
            (self.clipnorm and self.clipnorm > 0)
            or (self.global_clipnorm and self.global_clipnorm > 0)
            or (self.clipvalue and self.clipvalue > 0)
        )

    def _clip(self, segs):
        flat = self._store.flat["grad"]
        if self.clipnorm and self.clipnorm > 0:
            c = self.clipnorm
            for seg in segs:
                for i in seg.members:
                    g = flat[i]
                    norm = np.sqrt(np.dot(g, g))
                    if norm > c:  # g * c / max(|g|, c)
                        np.multiply(g, g.dtype.type(c / norm), out=g)
        elif self.global_clipnorm and self.global_clipnorm > 0:
            c = self.global_clipnorm
            norm = np.sqrt(sum(float(np.dot(s.bufs["grad"], s.bufs["grad"])) for s in segs))
            if not np.isfinite(norm) or norm > c:  # a non-finite norm makes every gradient NaN
                scale = c / norm if np.isfinite(norm) else float("nan")
                for seg in segs:
                    g = seg.bufs["grad"]
                    np.multiply(g, g.dtype.type(scale), out=g)
        elif self.clipvalue and self.clipvalue > 0:
            v = self.clipvalue
            for seg in segs:
                np.clip(seg.bufs["grad"], -v, v, out=seg.bufs["grad"])

    def _update_ema(self):
        """average = m * average + (1 - m) * w, with m = 0 at the first step (as Keras)."""
        m = self.ema_momentum if self._effective_step() != 0 else 0.0
        scratch = self._store.shaped["scratch"]
        variables = self._trainable_variables
        for i, avg in enumerate(self._model_variables_moving_average):
            vd = variables[i].data
            t = vd.dtype.type
            np.multiply(avg.data, t(m), out=avg.data)
            np.multiply(vd, t(1.0 - m), out=scratch[i])
            avg.data += scratch[i]
        freq = self.ema_overwrite_frequency
        if freq and (self._effective_step() + 1) % freq == 0:
            self._overwrite_model_variables_with_average_value(variables)

    def _current_lr(self):
        lr = self._learning_rate
        if type(lr) is Variable:
            return lr.data.item()
        if isinstance(lr, schedules.LearningRateSchedule):
            return float(data_of(lr(self._iterations)))
        return float(data_of(lr()))

    def _effective_step(self):
        it = self._iterations.data.item()
        k = self.gradient_accumulation_steps
        return it // k if k else it
