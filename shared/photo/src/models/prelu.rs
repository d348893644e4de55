//! PRelu wired as two operations tract runs with its vector kernels.
//!
//! tract-onnx expands `PRelu(x, s)` into `x < 0 ? s·x : x`: a comparison and a select it
//! evaluates element by element, out of place. The hair model has 100 of them and the mesh and
//! iris models 76 more; in a profile of `idphoto bench` the comparison and the select took 8 %
//! of a photo's time, more than any convolution kernel. For slopes `s ≤ 1` the same function is
//! `max(x, s·x)` (where `x ≥ 0`, `x ≥ s·x`; where `x < 0`, `s·x ≥ x`), and for any slope
//! `max(x, 0) + s·min(x, 0)`. Each gives the same floats as the select: a product or `x`
//! itself, never a new rounding.

use tract_onnx::model::ParsingContext;
use tract_onnx::pb::NodeProto;
use tract_onnx::tract_hir::internal::*;
use tract_onnx::tract_hir::ops::math;

/// Replace tract-onnx's PRelu in `onnx`'s registry.
pub fn register(onnx: &mut tract_onnx::Onnx) {
    onnx.op_register.insert("PRelu", build);
}

fn build(_: &ParsingContext, _: &NodeProto) -> TractResult<(Box<dyn InferenceOp>, Vec<String>)> {
    Ok((expand(Prelu), vec![]))
}

#[derive(Debug, Clone, Hash, PartialEq, Eq)]
struct Prelu;

impl Expansion for Prelu {
    fn name(&self) -> StaticName {
        "PreluMax".into()
    }

    fn rules<'r, 'p: 'r, 's: 'r>(
        &'s self,
        s: &mut Solver<'r>,
        inputs: &'p [TensorProxy],
        outputs: &'p [TensorProxy],
    ) -> InferenceResult {
        check_input_arity(inputs, 2)?;
        check_output_arity(outputs, 1)?;
        s.equals(&inputs[0].datum_type, &outputs[0].datum_type)?;
        s.equals(&inputs[0].shape, &outputs[0].shape)
    }

    fn wire(
        &self,
        name: &str,
        model: &mut TypedModel,
        inputs: &[OutletId],
    ) -> TractResult<TVec<OutletId>> {
        let x = inputs[0];
        let rank = model.outlet_fact(x)?.rank();
        // The slope broadcast against x: leading axes added as ONNX's rules do.
        let mut slope = inputs[1];
        while model.outlet_fact(slope)?.rank() < rank {
            slope = model.wire_node(format!("{name}.slope-axis"), AxisOp::Add(0), &[slope])?[0];
        }
        let at_most_one = match &model.outlet_fact(slope)?.konst {
            Some(k) => k
                .cast_to::<f32>()?
                .to_plain_array_view::<f32>()?
                .iter()
                .all(|&s| s <= 1.0),
            None => false,
        };
        if at_most_one {
            let sx = model.wire_node(format!("{name}.sx"), math::mul(), &[x, slope])?[0];
            return model.wire_node(format!("{name}.max"), math::max(), &[x, sx]);
        }
        let zero = tensor0(0f32)
            .cast_to_dt(model.outlet_fact(x)?.datum_type)?
            .into_owned()
            .broadcast_into_rank(rank)?;
        let zero = model.add_const(format!("{name}.zero"), zero)?;
        let pos = model.wire_node(format!("{name}.pos"), math::max(), &[x, zero])?[0];
        let neg = model.wire_node(format!("{name}.neg"), math::min(), &[x, zero])?[0];
        let sneg = model.wire_node(format!("{name}.sneg"), math::mul(), &[neg, slope])?[0];
        model.wire_node(format!("{name}.sum"), math::add(), &[pos, sneg])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both wirings on a small graph, against the definition: `s·x` where `x < 0`, else `x`.
    #[test]
    fn both_wirings_compute_prelu() {
        let x: Vec<f32> = vec![-3.0, -0.5, -0.0, 0.0, 0.25, 2.0, -1e-30, 7.5];
        for slope in [
            vec![0.25f32, 0.0, 1.0, -0.5, 0.9, 0.1, 0.5, 1.0],
            vec![2.0f32, 0.0, 1.0, -0.5, 3.0, 0.1, 1.5, 1.0],
        ] {
            let mut model = TypedModel::default();
            let src = model.add_source("x", f32::fact([8])).unwrap();
            let s = model.add_const("s", tensor1(&slope)).unwrap();
            let out = Prelu.wire("p", &mut model, &[src, s]).unwrap();
            model.select_output_outlets(&out).unwrap();
            let plan = model.into_optimized().unwrap().into_runnable().unwrap();
            let got = plan.run(tvec!(tensor1(&x).into_tvalue())).unwrap();
            let got = got[0].to_plain_array_view::<f32>().unwrap();
            for k in 0..8 {
                let want = if x[k] < 0.0 { slope[k] * x[k] } else { x[k] };
                assert_eq!(got[k], want, "x {} slope {}", x[k], slope[k]);
            }
        }
    }

    /// A real model through tract-onnx's own PRelu and through ours: the same floats.
    #[test]
    fn a_model_gives_the_same_floats_as_with_tract_onnxs_prelu() {
        let file = &crate::models::FACE_MESH;
        let run = |onnx: tract_onnx::Onnx| -> Vec<Vec<f32>> {
            let plan = onnx
                .model_for_read(&mut &file.bytes[..])
                .unwrap()
                .with_input_fact(0, f32::fact(file.input).into())
                .unwrap()
                .into_optimized()
                .unwrap()
                .into_runnable()
                .unwrap();
            let n: usize = file.input.iter().product();
            // A varied input, so both signs reach every PRelu.
            let input: Vec<f32> = (0..n).map(|i| ((i * 7919) % 255) as f32 / 255.0).collect();
            let t = tract_ndarray::Array4::from_shape_vec(file.input, input).unwrap();
            plan.run(tvec!(Tensor::from(t).into_tvalue()))
                .unwrap()
                .iter()
                .map(|o| {
                    o.to_plain_array_view::<f32>()
                        .unwrap()
                        .iter()
                        .copied()
                        .collect()
                })
                .collect()
        };
        let mut ours = tract_onnx::onnx();
        register(&mut ours);
        assert_eq!(run(ours), run(tract_onnx::onnx()));
    }
}
