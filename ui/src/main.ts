// Entry: global tokens, then the app shell (which pulls in every view it renders).
import './global.css';
import './hearth-app.js';
