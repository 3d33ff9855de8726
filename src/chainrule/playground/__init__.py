"""The playground: TensorFlow Playground's controls in a local web app, trained by chainrule."""
