/** The TensorFlow.js engine's public API: what other modules import. */
export {TfjsTrainer} from './tfjs-trainer.js'
